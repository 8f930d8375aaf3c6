import { describe, expect, it } from 'vitest';
import { gridCluster } from '../../src/cluster';

const p = (x: number, y: number, rank = 0, item = `${x},${y}`) => ({ x, y, rank, item });

describe('grid clustering', () => {
  it('aggregates crowded cells and keeps sparse ones single', () => {
    const placed = [p(1, 1), p(2, 2, 3, 'worst'), p(3, 3), p(4, 4, 3), p(100, 100)];
    const { clusters, singles } = gridCluster(placed, 50, 4);
    expect(clusters).toHaveLength(1);
    expect(clusters[0]).toMatchObject({ count: 4, x: 2.5, y: 2.5 });
    expect(clusters[0].worst.item).toBe('worst');
    expect(singles.map((s) => s.item)).toEqual(['100,100']);
  });

  it('aligns cells to world pixels, so a cluster does not depend on where the view starts', () => {
    const placed = [p(49, 10), p(51, 10), p(52, 10), p(53, 10)];
    const { clusters, singles } = gridCluster(placed, 50, 3);
    expect(clusters[0].count).toBe(3);
    expect(singles).toHaveLength(1);
  });

  it('handles 100,000 points quickly', () => {
    const placed = Array.from({ length: 100_000 }, (_, i) => p((i * 7919) % 5000, (i * 104729) % 3000, i % 6));
    const start = performance.now();
    const { clusters, singles } = gridCluster(placed, 48, 4);
    expect(performance.now() - start).toBeLessThan(500);
    expect(clusters.reduce((n, c) => n + c.count, 0) + singles.length).toBe(100_000);
  });
});
