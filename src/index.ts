export * from './types';
export { parseConfig, loadConfigFile, ConfigError } from './config/load';
export type { Config, SubsystemConfig, CheckSpec } from './config/types';
export { runCycle } from './engine/cycle';
export { buildReport } from './engine/report';
export { evaluateSafetyPolicy } from './recommend/policy';
export {
  POLICY_DIRECTIVES,
  directivesFor,
  failClosedDirectives,
  type ClosePositions,
  type Directives,
  type DirectiveRow,
  type HighRiskDefinition,
} from './recommend/directives';
export { selectAction, recommend } from './recommend/recommendations';
export { Service } from './serve/service';
export { PolicyClient } from './client';
export type { PolicyView } from './policy_view';
