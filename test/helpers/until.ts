/** Polls `f` every 50 ms until it gives something truthy (a non-empty array), or throws after `ms`. */
export const until = async <T>(f: () => Promise<T | null | undefined | false>, ms = 10_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v && !(Array.isArray(v) && !v.length)) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
};
