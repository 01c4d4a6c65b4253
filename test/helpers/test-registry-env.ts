/**
 * The shared registry that scripts/run-tests.mjs starts for the e2e suite (SKIFF_TEST_REGISTRY,
 * plain HTTP on 127.0.0.1) with busybox already pushed as <registry>/busybox:latest.
 */
export function sharedRegistry(): string {
  const r = process.env['SKIFF_TEST_REGISTRY'];
  if (!r)
    throw new Error('SKIFF_TEST_REGISTRY is not set: run the e2e tests through "npm run test:e2e"');
  return r;
}

export function busyboxRef(): string {
  return `${sharedRegistry()}/busybox:latest`;
}
