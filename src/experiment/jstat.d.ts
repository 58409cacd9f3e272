// jstat ships no type declarations; only the Student t quantile is used here (stats.ts).
declare module 'jstat' {
  const jStat: {
    studentt: {
      /** The p-quantile of Student's t with `dof` degrees of freedom. */
      inv(p: number, dof: number): number;
    };
  };
  export default jStat;
}
