/**
 * @module
 * The one error type of the emulator: it carries its HTTP status and renders as ARM's CloudError body
 * `{"error":{"code","message"}}` (aci-rest-api.md §3, §15.8).
 */
export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = "ArmError";
  }

  toBody(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

/** ARM's own wording for a missing resource (aci-rest-api.md §8: `ResourceNotFound`, 404). */
export function resourceNotFound(resourceGroup: string, groupName: string): ArmError {
  return new ArmError(
    404,
    "ResourceNotFound",
    `The Resource 'Microsoft.ContainerInstance/containerGroups/${groupName}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}

/** aci-rest-api.md §8: 409 with this exact message, raised by PUT, DELETE, start, stop and restart. */
export function containerGroupTransitioning(groupName: string): ArmError {
  return new ArmError(409, "ContainerGroupTransitioning", `The container group '${groupName}' is still transitioning, please retry later.`);
}

/**
 * ARM's code for a body that does not match the schema, with Newtonsoft-style wording. Used for every
 * structural problem (missing required property, wrong type, unknown enum value).
 */
export function invalidRequestContent(detail: string): ArmError {
  return new ArmError(400, "InvalidRequestContent", `The request content was invalid and could not be deserialized: '${detail}'.`);
}
