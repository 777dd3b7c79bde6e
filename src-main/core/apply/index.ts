// Safe apply, the pure part: the protocol as a state machine, the plan it
// makes before touching anything, the backup, the lockout prediction and the
// merge that keeps other tools' chains. Run by src-main/apply/.
export * from './machine.js';
export { msg, ms, at, messageText, type Message, type MessagePart } from './message.js';
export { planApply, applyBlock, type ApplyBlock, checkProposal, describeSummary, type ApplyPlan, type BaseRef, type HostSnapshot, type HostView, type ChangeSummary, type RefuseReason } from './plan.js';
export { buildBackup, emptyTableSection, sameRules, differingTables, saveSections, tablesIn, type Backup } from './backup.js';
export { addressFamily, predictFamilyLockout, predictLockout, predictLockoutFamilies, type FamilyLockoutVerdict, type OtherFamilyRoute } from './lockout.js';
export { foreignOwner, findForeignChains, mergeForeign, stripForeign, type ForeignChains, type ForeignReport } from './foreign.js';
export { proveTimer, parseTimespanMs, checkRevert, type TimerProof, type RevertCheck } from './revert-proof.js';
