// Pushes the standard test images into a registry: busybox:latest (Debian's busybox-static,
// one gzip layer, CMD ["sh"]). Usage: tsx scripts/make-test-images.ts 127.0.0.1:5000
import { buildBusybox, pushImage } from '../test/helpers/image-builder.js';

const addr = process.argv[2] ?? process.env['SKIFF_TEST_REGISTRY'];
if (!addr) {
  console.error('usage: make-test-images.ts <registry host:port>');
  process.exit(2);
}
const busybox = await buildBusybox();
const digest = await pushImage({ addr }, 'busybox', 'latest', busybox);
console.log(`pushed ${addr}/busybox:latest ${digest}`);
