import { describe } from 'vitest';

/**
 * Suites that need a program from Debian (GDAL, MapServer, Chromium): they run when it is there, are
 * skipped when it is not, and fail at collection when REQUIRE_SYSTEM_TESTS=1 (CI) and it is missing,
 * so that no integration suite can silently skip there.
 */
export const REQUIRE_SYSTEM_TESTS: boolean = process.env.REQUIRE_SYSTEM_TESTS === '1';

export function systemToolRequirement(available: boolean, required: boolean): 'run' | 'skip' | 'fail' {
  if (available) return 'run';
  return required ? 'fail' : 'skip';
}

export interface SystemTool {
  /** e.g. 'GDAL' */
  name: string;
  available: boolean;
  /** What to say when it is missing but required. */
  missingMessage: string;
}

export function describeWithSystemTool(tool: SystemTool, name: string, fn: () => void, options: { timeout?: number }): void {
  const d = systemToolRequirement(tool.available, REQUIRE_SYSTEM_TESTS);
  if (d === 'fail') throw new Error(tool.missingMessage);
  describe.skipIf(d === 'skip')(d === 'run' ? name : `${name} (${tool.name} not installed)`, options, fn);
}
