import { ProcessingPace } from './processing.pace.js';

/** A loop-delay reading the test sets. */
function fakeLoop() {
  const l = { ms: 0, stopped: false, p99Ms: () => l.ms, reset: () => { l.ms = 0; }, stop: () => { l.stopped = true; } };
  return l;
}

describe('ProcessingPace (acknowledgements first)', () => {
  it('runs two full batches while acknowledgements are fast, and with no acknowledgements at all', () => {
    const pace = new ProcessingPace({ maxBatch: 32, ackTargetMs: 20, loopDelay: fakeLoop() });
    expect(pace.current).toEqual({ batch: 32, parallel: 2, pauseMs: 0 });
    for (let i = 0; i < 100; i++) pace.noteAck(5);
    pace.settle();
    expect(pace.current).toEqual({ batch: 32, parallel: 2, pauseMs: 0 });
    pace.settle(); // a processing-only replica never sees an acknowledgement
    expect(pace.current).toEqual({ batch: 32, parallel: 2, pauseMs: 0 });
  });

  it('halves the batch while acknowledgements are slow, then pauses, and recovers step by step', () => {
    const pace = new ProcessingPace({ maxBatch: 32, ackTargetMs: 20, minBatch: 4, maxPauseMs: 40, loopDelay: fakeLoop() });
    const slowWindow = () => { for (let i = 0; i < 98; i++) pace.noteAck(3); pace.noteAck(80); pace.noteAck(90); pace.settle(); };
    slowWindow();
    expect(pace.current).toEqual({ batch: 16, parallel: 1, pauseMs: 0 });
    slowWindow(); slowWindow();
    expect(pace.current).toEqual({ batch: 4, parallel: 1, pauseMs: 0 });
    slowWindow();
    expect(pace.current.pauseMs).toBe(5);
    slowWindow(); slowWindow(); slowWindow();
    expect(pace.current.pauseMs).toBe(40); // capped
    const fastWindow = () => { for (let i = 0; i < 50; i++) pace.noteAck(3); pace.settle(); };
    fastWindow();
    expect(pace.current).toEqual({ batch: 4, parallel: 1, pauseMs: 20 });
    fastWindow(); fastWindow(); fastWindow();
    expect(pace.current.pauseMs).toBe(0);
    fastWindow();
    expect(pace.current.batch).toBe(8);
    for (let i = 0; i < 10; i++) fastWindow();
    expect(pace.current).toEqual({ batch: 32, parallel: 2, pauseMs: 0 });
  });

  it('counts one slow acknowledgement in a hundred as noise, and a lagging event loop as pressure', () => {
    const loop = fakeLoop();
    const pace = new ProcessingPace({ maxBatch: 32, ackTargetMs: 20, loopDelay: loop });
    for (let i = 0; i < 199; i++) pace.noteAck(2);
    pace.noteAck(500);
    pace.settle();
    expect(pace.current.batch).toBe(32);
    pace.noteAck(2);
    loop.ms = 35; // acknowledgements wait for the loop before their handler even starts
    pace.settle();
    expect(pace.current.batch).toBe(16);
    pace.stop();
    expect(loop.stopped).toBe(true);
  });

  it('backs off with no acknowledgements of its own while another process signals slow ones, and not when pacing is off', () => {
    const signal = { on: true };
    const pace = new ProcessingPace({ maxBatch: 32, ackTargetMs: 20, minBatch: 4, loopDelay: fakeLoop(), external: () => signal.on });
    pace.settle();
    expect(pace.current.batch).toBe(16);
    for (let i = 0; i < 3; i++) pace.settle();
    expect(pace.current).toEqual({ batch: 4, parallel: 1, pauseMs: 5 });
    signal.on = false;
    pace.settle();
    expect(pace.current.pauseMs).toBe(0);
    const off = new ProcessingPace({ maxBatch: 32, ackTargetMs: 0, loopDelay: fakeLoop(), external: () => true });
    off.settle();
    expect(off.current.batch).toBe(32);
  });
});
