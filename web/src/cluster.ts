// Grid aggregation of markers: points falling in the same square of screen pixels become one
// circle with a count, coloured by the worst state among them. One linear pass with a hash map, so
// 100,000 points cost a few milliseconds, which is why we do not need a clustering library.
// Cells are aligned to world pixels, not to the viewport, so clusters stay put while panning.

export interface Placed<T> {
  /** World pixel coordinates at the current zoom. */
  x: number;
  y: number;
  rank: number;
  item: T;
}

export interface Cluster<T> {
  /** Mean position of the members. */
  x: number;
  y: number;
  count: number;
  /** The member with the highest rank (the first of equals). */
  worst: Placed<T>;
}

export interface Clustered<T> {
  clusters: Cluster<T>[];
  singles: Placed<T>[];
}

/** Groups `placed` by `cellPx` squares; cells with fewer than `minCount` points stay single. */
export function gridCluster<T>(placed: readonly Placed<T>[], cellPx: number, minCount: number): Clustered<T> {
  const cells = new Map<number, Placed<T>[]>();
  for (const p of placed) {
    // 2^22 cells per row covers world pixels up to zoom 22 with cells of 1 px or more.
    const key = Math.floor(p.x / cellPx) * 4194304 + Math.floor(p.y / cellPx);
    const cell = cells.get(key);
    if (cell) cell.push(p);
    else cells.set(key, [p]);
  }
  const out: Clustered<T> = { clusters: [], singles: [] };
  for (const members of cells.values()) {
    if (members.length < minCount) {
      out.singles.push(...members);
      continue;
    }
    let sx = 0;
    let sy = 0;
    let worst = members[0];
    for (const m of members) {
      sx += m.x;
      sy += m.y;
      if (m.rank > worst.rank) worst = m;
    }
    out.clusters.push({ x: sx / members.length, y: sy / members.length, count: members.length, worst });
  }
  return out;
}
