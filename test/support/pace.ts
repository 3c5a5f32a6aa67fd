/**
 * The stretches of POSTs, by their arrival times at uSpeedo, that came faster than one per `gapMs`: for
 * every two POSTs, the time between them is at least a gap for each POST between, less `jitterMs`, how
 * far one arrival may stray on its way from the pace to uSpeedo (a busy process, a pause to collect
 * garbage). So a late arrival may narrow one gap but lateness never adds up, and two paces side by
 * side fail at once.
 */
export function faster(times: readonly number[], gapMs: number, jitterMs: number): string[] {
  const found: string[] = [];
  for (let i = 0; i < times.length; i++) {
    for (let j = i + 1; j < times.length; j++) {
      const took = times[j] - times[i];
      if (took < (j - i) * gapMs - jitterMs) found.push(`POSTs ${i + 1} to ${j + 1}: ${took} ms for ${j - i} gaps`);
    }
  }
  return found;
}
