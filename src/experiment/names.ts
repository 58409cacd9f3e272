// The paper's names of the objectives (Table 3), for the report and the verdicts.
const NAMES: Record<string, string> = {
  'bcpg-nsa': 'BCPG-NSA',
  bcpg: 'BCPG',
  'grpo-offline': 'GRPO-offline',
  topr: 'TOPR',
  dpo: 'DPO',
  rft: 'RFT',
};

export const methodName = (m: string): string => NAMES[m] ?? m;
