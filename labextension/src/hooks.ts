import * as React from 'react';

import { ApiError } from './request';

/** Call ``callback`` every ``ms`` milliseconds while ``ms`` is not null. */
export function useInterval(callback: () => void, ms: number | null): void {
  const saved = React.useRef(callback);
  saved.current = callback;
  React.useEffect(() => {
    if (ms === null) {
      return;
    }
    const id = window.setInterval(() => saved.current(), ms);
    return () => window.clearInterval(id);
  }, [ms]);
}

/** A user-facing message for any error thrown by the API layer. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Load data with ``load`` whenever ``deps`` change; keeps the last value while reloading. */
export function useLoader<T>(
  load: () => Promise<T>,
  deps: React.DependencyList
): { value: T | null; error: string | null; reload: () => void } {
  const [value, setValue] = React.useState<T | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [tick, setTick] = React.useState(0);
  React.useEffect(() => {
    let current = true;
    load().then(
      result => {
        if (current) {
          setValue(result);
          setError(null);
        }
      },
      reason => {
        if (current) {
          setError(errorMessage(reason));
        }
      }
    );
    return () => {
      current = false;
    };
  }, [...deps, tick]);
  return { value, error, reload: () => setTick(t => t + 1) };
}
