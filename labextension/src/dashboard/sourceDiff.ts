/** A line diff (longest common subsequence) for comparing two runs' cell sources. */

export interface IDiffLine {
  kind: 'same' | 'add' | 'del';
  text: string;
}

const MAX_LINES = 2000;

/** Lines of ``b`` against ``a``: unchanged, added (in b only) or deleted (in a only). */
export function diffLines(a: string, b: string): IDiffLine[] {
  const x = a.split('\n').slice(0, MAX_LINES);
  const y = b.split('\n').slice(0, MAX_LINES);
  const n = x.length;
  const m = y.length;
  // lcs[i][j] = LCS length of x[i:] and y[j:], filled from the end
  const lcs: Uint16Array[] = Array.from(
    { length: n + 1 },
    () => new Uint16Array(m + 1)
  );
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] =
        x[i] === y[j]
          ? lcs[i + 1][j + 1] + 1
          : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: IDiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) {
      out.push({ kind: 'same', text: x[i] });
      i++;
      j++;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) {
      out.push({ kind: 'del', text: x[i++] });
    } else {
      out.push({ kind: 'add', text: y[j++] });
    }
  }
  x.slice(i).forEach(text => out.push({ kind: 'del', text }));
  y.slice(j).forEach(text => out.push({ kind: 'add', text }));
  return out;
}
