/** The egress proxy and what decides for it (see proxy.ts); re-exported for the layers above. */
export { AllowList, parseAllowRule, DEFAULT_PORTS, type AllowRule } from './allowlist.js';
export { NetworkLimitsSchema, DEFAULT_NETWORK_LIMITS, type NetworkLimits } from './limits.js';
export { parseIpLiteral, classifyAddress, type AddressClass, type IpLiteral } from './ip.js';
export { parseResolveEntry, Resolver, ResolveError } from './resolver.js';
export { NetworkReportSchema, type NetworkReport } from './report.js';
export { parseClientHello, type ClientHelloResult } from './tls-client-hello.js';
export { EgressProxy, type EgressEvent, type EgressGrant, type EgressProxyOpts } from './proxy.js';
export {
  NetworkPolicySchema,
  NetworkGrantRequestSchema,
  narrowGrant,
  type NetworkPolicy,
  type NetworkGrantRequest,
} from './policy.js';
