/**
 * What the HTML report embeds as JSON and its page script reads: the trace, and the findings with
 * their positions already resolved (the page has no source text to count lines in).
 */
import type { FindingView, RangeView } from '../protocol';
import type { ParamHealth } from '../rules/health';
import type { Trace } from '../trace/types';

export interface ReportFinding extends FindingView {
  /** False when the source text was not available: `range` is then 0:0 and the page shows the file only. */
  located: boolean;
  /** The file the range is in, when it is not the report's file (a training run's .py files). */
  file?: string;
  related: { range: RangeView; message: string; file?: string }[];
  /** Index into `fixes` of the preferred fix, or -1. */
  preferredFix: number;
  /** The finding that explains this one (root cause before symptom). */
  explainedBy?: { rule: string; layer: string };
}

export interface ReportData {
  trace: Trace;
  findings: ReportFinding[];
  /** Each parameter's health, judged with the thresholds the findings were (the CLI's --config). */
  health: ParamHealth[];
  fileName: string;
  /** ISO 8601. */
  generatedAt: string;
}

/** Id of the `<script type="application/json">` element holding the data. */
export const REPORT_DATA_ID = 'gradient-lens-data';
