/**
 * What a rootless single-node engine answers where dockerd has swarm mode and managed plugins:
 * the swarm endpoints say, as an inactive dockerd does, that this node is no swarm manager (503,
 * dockerd's words, which the CLI and SDKs recognise), and the plugin list is empty. Without
 * these, clients that probe them (docker info's swarm section, compose, `docker plugin ls`) got
 * `page not found`.
 */
import { UnavailableError } from '../../errors.js';
import { json } from '../reply.js';
import type { Router } from '../router.js';

const NOT_A_MANAGER =
  'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';

const SWARM_ROUTES: readonly (readonly [string, string])[] = [
  ['GET', '/swarm'],
  ['POST', '/swarm/init'],
  ['POST', '/swarm/join'],
  ['POST', '/swarm/leave'],
  ['POST', '/swarm/update'],
  ['GET', '/swarm/unlockkey'],
  ['POST', '/swarm/unlock'],
  ...['nodes', 'services', 'tasks', 'secrets', 'configs'].flatMap(
    (kind): (readonly [string, string])[] => [
      ['GET', `/${kind}`],
      ['GET', `/${kind}/{id}`],
      ['DELETE', `/${kind}/{id}`],
      ['POST', `/${kind}/{id}/update`],
      ...(kind === 'nodes' || kind === 'tasks' ? [] : [['POST', `/${kind}/create`] as const]),
    ],
  ),
  ['GET', '/services/{id}/logs'],
  ['GET', '/tasks/{id}/logs'],
];

export function swarmAndPluginRoutes<S>(r: Router<S>): void {
  for (const [method, path] of SWARM_ROUTES)
    r.on(method, path, () => Promise.reject(new UnavailableError(NOT_A_MANAGER)));
  r.on('GET', '/plugins', () => Promise.resolve(json([])));
}
