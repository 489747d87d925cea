import type { Summary } from './stats.js';

/** Who a figure belongs to: the product, a peer program, or a physical limit. */
export type RowKind = 'product' | 'peer' | 'limit';

/** One measured figure, or the reason it could not be measured. */
export interface Row {
  id: string;
  section: string;
  label: string;
  kind: RowKind;
  unit: string;
  higherIsBetter: boolean;
  summary?: Summary;
  /** Why there is no figure, such as "not available: docker-registry not installed". */
  missing?: string;
  /** Extra facts for the table, such as the peak RSS during the same runs. */
  note?: string;
}

/** A ratio of a product figure to a peer or limit measured in the same run. */
export interface Comparison {
  productId: string;
  referenceId: string;
}

/** A pass/miss check of one figure. */
export interface Target {
  label: string;
  /** Returns the verdict and the figure it rests on, or undefined when a row is missing. */
  evaluate(rows: ReadonlyMap<string, Row>): { pass: boolean; detail: string } | undefined;
  /** Scenario to re-run under `node --cpu-prof` when the target is missed. */
  profileScenario?: string;
}

/** Collects the rows of one benchmark run in insertion order. */
export class Results {
  readonly rows = new Map<string, Row>();

  /** Adds or replaces a row. */
  add(row: Row): void {
    this.rows.set(row.id, row);
  }

  /** Records a row that could not be measured. */
  addMissing(row: Omit<Row, 'summary' | 'missing'>, reason: string): void {
    this.add({ ...row, missing: reason });
  }

  /** Returns the median of a measured row, or undefined. */
  median(id: string): number | undefined {
    return this.rows.get(id)?.summary?.median;
  }
}

/** Returns the median of a row in `rows`, or undefined. */
export function medianOf(rows: ReadonlyMap<string, Row>, id: string): number | undefined {
  return rows.get(id)?.summary?.median;
}

/** Builds a target "product ≥ factor × reference" on the medians of two rows. */
export function ratioTarget(
  label: string,
  productId: string,
  referenceId: string,
  factor: number,
  profileScenario?: string,
): Target {
  return {
    label,
    profileScenario,
    evaluate(rows) {
      const product = medianOf(rows, productId);
      const reference = medianOf(rows, referenceId);
      if (product === undefined || reference === undefined || reference === 0) return undefined;
      const ratio = product / reference;
      return { pass: ratio >= factor, detail: `${ratio.toFixed(2)}× (need ≥${factor}×)` };
    },
  };
}

/** Builds a target "row median compared with a fixed bound". */
export function boundTarget(
  label: string,
  id: string,
  bound: number,
  direction: 'atLeast' | 'atMost' | 'below',
  unit: string,
  profileScenario?: string,
): Target {
  return {
    label,
    profileScenario,
    evaluate(rows) {
      const value = medianOf(rows, id);
      if (value === undefined) return undefined;
      const pass =
        direction === 'atLeast'
          ? value >= bound
          : direction === 'atMost'
            ? value <= bound
            : value < bound;
      const sign = direction === 'atLeast' ? '≥' : direction === 'atMost' ? '≤' : '<';
      const ratio = direction === 'atLeast' ? value / bound : bound / value;
      return {
        pass,
        detail: `${formatNumber(value)} ${unit} (need ${sign}${formatNumber(bound)}; ${ratio.toFixed(2)}× of target)`,
      };
    },
  };
}

/** Formats a figure with 3 significant digits and thousands separators. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}
