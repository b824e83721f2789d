/** The time as the tickets subgraph sees it: injected, so SLA behaviour over hours and days can be tested. */
export interface Clock {
  now(): Date;
}

export function systemClock(): Clock {
  return { now: () => new Date() };
}
