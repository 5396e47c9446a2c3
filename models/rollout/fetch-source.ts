/**
 * GET from one of the rollout's sources (a gateway's /metrics, the monitor's status): 3 s at most,
 * and an error that says only what went wrong (ECONNREFUSED, HTTP 503), for the "not judged" log.
 */
export async function fetchSource(url: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    throw new Error(cause?.code ?? (err as Error).message);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status}`);
  }
  return res;
}
