/** A registry's error body (`{"errors":[{"code","message"}]}`) as one readable message. */
export function registryMessage(body: Buffer, status: number): string {
  try {
    const o = JSON.parse(body.toString('utf8')) as {
      errors?: { code?: string; message?: string; detail?: unknown }[];
    };
    const e = o.errors?.[0];
    if (e)
      return `${(e.code ?? '').toLowerCase().replace(/_/g, ' ') || 'error'}: ${e.message ?? ''}`.trim();
  } catch {
    // not JSON
  }
  const text = body.toString('utf8').trim();
  return text ? text.slice(0, 300) : `HTTP ${status}`;
}

export function registryCode(body: Buffer): string | undefined {
  try {
    return (JSON.parse(body.toString('utf8')) as { errors?: { code?: string }[] }).errors?.[0]
      ?.code;
  } catch {
    return undefined;
  }
}
