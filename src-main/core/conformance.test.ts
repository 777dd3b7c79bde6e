// Conformance with iptables itself: every line of iptables' own extension test
// vectors (libxt_*.t) as real iptables-legacy 1.8.9 treated it (observed.tsv),
// for every extension Portcullis models. Rules for extensions we do not model
// are listed as excluded with that reason; so are rules the reference kernel
// could not load for lack of a module. The runner is shared with the IPv6 suite.
import { readObserved, sharedAvailable } from './testing/shared-data.js';
import { describeVectors } from './testing/conformance-vectors.js';

describeVectors({
  family: 'ipv4',
  tool: 'iptables',
  title: 'iptables extension test vectors (observed.tsv)',
  label: 'conformance',
  available: sharedAvailable(),
  rows: readObserved,
  prefix: 'ipt',
  genericFile: 'iptables.t',
  expected: (canonical) => [canonical],
  listExcluded: true,
});
