/**
 * Publishing a port: a listener on the host that forwards to a port in the network namespace
 * containers live in. Implemented by rootless/ with rootlesskit's port API (builtin driver),
 * injected by skiffd: the network layer never knows it is rootless.
 */
export interface PortSpec {
  readonly proto: 'tcp' | 'udp' | 'sctp';
  /** Host address to listen on ("" or 0.0.0.0 = all). */
  readonly hostIp: string;
  readonly hostPort: number;
  readonly containerPort: number;
  /** Address in that namespace to forward to (a container on a bridge); default: its loopback. */
  readonly containerIp?: string;
}

export interface PortStatus {
  readonly id: number;
  readonly spec: PortSpec;
}

export interface PortForwarder {
  /** Starts forwarding; resolves with an id for remove(). MUST fail when the host port is taken. */
  add(p: PortSpec): Promise<number>;
  remove(id: number): Promise<void>;
  list(): Promise<PortStatus[]>;
}
