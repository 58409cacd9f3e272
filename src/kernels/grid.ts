// Spreads a 1-D count of workgroups over x and y, since one dimension stops at 65535.
export function grid1d(workgroups: number, maxPerDimension = 65535): [number, number] {
  if (workgroups <= maxPerDimension) return [Math.max(workgroups, 0), 1];
  const y = Math.ceil(workgroups / maxPerDimension);
  return [Math.ceil(workgroups / y), y];
}
