/** The systemd user unit `skiff setup install` writes (like dockerd-rootless-setuptool.sh's docker.service). */
export function systemdUnit(o: { node: string; cli: string; path: string }): string {
  return `[Unit]
Description=skiff, a rootless Docker-compatible engine
Documentation=https://github.com/skiff
StartLimitIntervalSec=60s
StartLimitBurst=3

[Service]
Environment=PATH=${o.path}
ExecStart=${o.node} ${o.cli} daemon
ExecReload=/bin/kill -s HUP $MAINPID
TimeoutSec=0
RestartSec=2
Restart=always
LimitNOFILE=infinity
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
Delegate=yes
Type=simple
KillMode=mixed

[Install]
WantedBy=default.target
`;
}
