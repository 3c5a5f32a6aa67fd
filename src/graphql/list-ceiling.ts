/** The longest list any argument of this schema accepts (a batch's targets). */
const MAX_LIST_LENGTH = 1000;
/**
 * List entries all of a request's variables may hold: a largest legitimate batch is 100 tasks and
 * 1000 targets of 20 parameters each, about 21 100.
 */
const MAX_LIST_ENTRIES = 25_000;

/**
 * The variables with every list cut to at most MAX_LIST_LENGTH + 1 entries, and none past
 * MAX_LIST_ENTRIES in all, before GraphQL coerces them; `cut` says whether anything was cut.
 *
 * Coercion costs per entry, and an oversized batch is refused for its size anyway: what is cut is more
 * than any argument accepts, so the answer (too large) is the same, and its cost no longer grows with
 * the excess. Only the objects on the way to a cut list are copied; variables with nothing to cut come
 * back as they were.
 */
export function capVariableLists(variables: Record<string, unknown>): { variables: Record<string, unknown>; cut: boolean } {
  const state = { entries: 0, cut: false };
  const capped = cap(variables, state) as Record<string, unknown>;
  return { variables: capped, cut: state.cut };
}

function cap(value: unknown, state: { entries: number; cut: boolean }): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const room = Math.max(0, Math.min(MAX_LIST_LENGTH + 1, MAX_LIST_ENTRIES + 1 - state.entries));
    const kept = value.length > room ? value.slice(0, room) : value;
    if (kept !== value) state.cut = true;
    state.entries += kept.length;
    let copy: unknown[] | undefined;
    for (let i = 0; i < kept.length; i++) {
      const item = cap(kept[i], state);
      if (item !== kept[i]) (copy ??= kept.slice())[i] = item;
    }
    return copy ?? kept;
  }
  let copy: Record<string, unknown> | undefined;
  // for…in rather than Object.keys: no array of keys for each of a batch's thousand targets. JSON
  // objects have no inherited enumerable keys.
  for (const key in value) {
    const field = (value as Record<string, unknown>)[key];
    const item = cap(field, state);
    if (item !== field) (copy ??= { ...(value as Record<string, unknown>) })[key] = item;
  }
  return copy ?? value;
}
