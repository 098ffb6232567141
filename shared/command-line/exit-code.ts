/**
 * Exit codes of every entry point (`insights`, `npm run plan`, `bench`, `faults`, `models:build`),
 * as shells and CI read them: 2 for a command line that cannot work, 130 (128 + SIGINT) for an
 * interrupt (143 for SIGTERM), so a script can tell "you called it wrong" and "you stopped it" from a failure.
 */
export const ExitCode = {
  Ok: 0,
  Failure: 1,
  Usage: 2,
  Interrupted: 130,
  /** 128 + SIGTERM: finite work stopped by a service manager or `kill`. */
  Terminated: 143,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
