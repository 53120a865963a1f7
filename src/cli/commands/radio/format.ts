/** Seconds and the like with one decimal, as the radio commands print them. */
export const f1 = (n: number): string => n.toFixed(1);
