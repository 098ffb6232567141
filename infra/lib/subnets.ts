/**
 * The VPC's address plan: the VPC block is split into four equal zone blocks (so a third zone can
 * be added later without moving the others); in each zone the task subnet takes the first half,
 * and, where NAT gateways need one, a small public subnet starts the second half.
 */

export interface ZoneSubnets {
  /** Where tasks, Redis and the interface endpoints live. */
  readonly tasks: string;
  /** Holds the zone's NAT gateway; undefined when the stack has no NAT. */
  readonly public: string | undefined;
}

function toInt(address: string): number {
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function toAddress(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

function block(base: number, prefix: number): string {
  return `${toAddress(base)}/${prefix}`;
}

/** The subnets of `zones` zones in `cidr` (a /16 to /22), with a public subnet each when `withPublic`. */
export function subnetLayout(cidr: string, zones: number, withPublic: boolean): ZoneSubnets[] {
  const [address = '', bits = ''] = cidr.split('/');
  const prefix = Number(bits);
  const size = 2 ** (32 - prefix);
  const start = toInt(address) - (toInt(address) % size);
  const zoneSize = size / 4;
  return Array.from({ length: zones }, (_, zone) => {
    const zoneStart = start + zone * zoneSize;
    // The public subnet only holds a NAT gateway: 1/16 of the zone, never below AWS's /28.
    const publicPrefix = Math.min(prefix + 6, 28);
    return { tasks: block(zoneStart, prefix + 3), public: withPublic ? block(zoneStart + zoneSize / 2, publicPrefix) : undefined };
  });
}
