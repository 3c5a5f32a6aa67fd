/** The sessions the delivery-status cell asks for, 100 a query (uSpeedo's most a call). */
export const SEED_SESSIONS = Array.from({ length: 100 }, (_, i) => `bench-session-${i}`);

/** The sessions the subscription cell follows, one subscription each (BENCH_SUBSCRIPTIONS, at most 1000). */
export const FOLLOW_SESSIONS = Array.from({ length: 1000 }, (_, i) => `follow-${i}`);
