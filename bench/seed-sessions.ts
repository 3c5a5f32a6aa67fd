/** The sessions the delivery-status cell asks for, 100 a query (uSpeedo's most a call). */
export const SEED_SESSIONS = Array.from({ length: 100 }, (_, i) => `bench-session-${i}`);
