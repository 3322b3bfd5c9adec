/** Resolves once `condition()` holds (checked every 5 ms; fails after 10 s: a bug, not a slow machine). */
export async function until(condition: () => boolean | Promise<boolean>, what = 'condition'): Promise<void> {
  for (const start = Date.now(); !(await condition()); await new Promise((r) => setTimeout(r, 5))) {
    if (Date.now() - start > 10_000) throw new Error(`timed out waiting for ${what}`);
  }
}
