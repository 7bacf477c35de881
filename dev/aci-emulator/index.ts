/**
 * @module
 * Local emulator of the Azure Container Instances management API, for development and tests only.
 * See `startAciEmulator` and `ensureEmulatorCertificate`.
 */
export { startAciEmulator, type AciEmulator, type AciEmulatorOptions, type ContainerSummary, type GroupSummary } from "./startAciEmulator";
export { ensureEmulatorCertificate, DEFAULT_CERT_DIR, type EmulatorCertificate } from "./ensureEmulatorCertificate";
export type { ContainerBehaviour, TimedLogLine } from "./containerBehaviour";
export type { Fault, FaultRule } from "./FaultInjector";
export type { RecordedRequest, RegistryOptions, StorageAccountOptions } from "./emulatorState";
export type { GroupState, ProvisioningState } from "./computeDeploymentView";
export { DEFAULT_PROVISIONING } from "./planDeployment";
export { HELLO_WORLD_LINES } from "./builtInImages";
export { appRoleAssignment, type RoleAssignment } from "./roleAssignment";
