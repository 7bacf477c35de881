import { describe, expect, it } from "vitest";
import { AciError, toAciError } from "../../../src/aci/client";

/** An error shaped like @azure/core-rest-pipeline's RestError as ARM calls raise it. */
function restError(statusCode: number, code: string | undefined, message: string): Error {
  return Object.assign(new Error(message), { name: "RestError", statusCode, ...(code === undefined ? {} : { code }) });
}

describe("toAciError: ARM answers with a status code", () => {
  it("treats throttling (429) as transient and keeps ARM's code, message and status", () => {
    const error = toAciError(restError(429, "TooManyRequests", "Rate limit exceeded"));
    expect(error).toBeInstanceOf(AciError);
    expect(error).toMatchObject({ code: "TooManyRequests", message: "Rate limit exceeded", transient: true, status: 429 });
    expect(error.name).toBe("AciError");
  });

  it("treats 408 and server errors 500, 502, 503 and 504 as transient", () => {
    for (const status of [408, 500, 502, 503, 504]) {
      expect(toAciError(restError(status, "ServerBusy", "try later")).transient, String(status)).toBe(true);
    }
  });

  it("treats 501 and 505 as terminal, as the SDK's own retry policy does", () => {
    for (const status of [501, 505]) {
      expect(toAciError(restError(status, "NotImplemented", "no")).transient, String(status)).toBe(false);
    }
  });

  it("treats the request's own faults as terminal: bad definition, auth, quota, missing group, conflict", () => {
    const cases: Array<[number, string]> = [
      [400, "InvalidContainerGroupName"],
      [400, "ContainerGroupQuotaReached"],
      [401, "InvalidAuthenticationToken"],
      [403, "AuthorizationFailed"],
      [404, "ResourceGroupNotFound"],
      [409, "Conflict"],
    ];
    for (const [status, code] of cases) {
      expect(toAciError(restError(status, code, `${code} message`)), code).toMatchObject({ code, status, transient: false });
    }
  });

  it("treats 409 ContainerGroupTransitioning as transient (ARM says: retry later)", () => {
    expect(toAciError(restError(409, "ContainerGroupTransitioning", "The container group is transitioning"))).toMatchObject({
      code: "ContainerGroupTransitioning",
      transient: true,
      status: 409,
    });
  });

  it("names the status when ARM sends no error code", () => {
    expect(toAciError(restError(503, undefined, "Service Unavailable"))).toMatchObject({ code: "Http503", transient: true });
    expect(toAciError(restError(400, "", "Bad Request"))).toMatchObject({ code: "Http400", transient: false });
  });
});

describe("toAciError: failures without a status", () => {
  it("reads a failed long-running create as terminal, with ARM's code and the rest of the message", () => {
    const error = toAciError(
      new Error(
        "The long-running operation has failed. InaccessibleImage. The image 'x' in container group 'g' is not accessible. Please check the image and registry credential.",
      ),
    );
    expect(error).toMatchObject({
      code: "InaccessibleImage",
      message: "The image 'x' in container group 'g' is not accessible. Please check the image and registry credential.",
      transient: false,
      status: undefined,
    });
  });

  it("keeps inner error messages that core-lro appended to a failed operation", () => {
    const error = toAciError(
      new Error("The long-running operation has failed. ResourceRequestsNotAvailable. Not enough capacity. Try another region."),
    );
    expect(error).toMatchObject({ code: "ResourceRequestsNotAvailable", message: "Not enough capacity. Try another region.", transient: false });
  });

  it("treats a network reset as transient", () => {
    expect(toAciError({ code: "ECONNRESET" })).toMatchObject({ code: "ECONNRESET", transient: true, status: undefined });
  });

  it("treats every known network failure code as transient, also when it comes as an Error", () => {
    for (const code of ["ECONNREFUSED", "ETIMEDOUT", "EPIPE", "EAI_AGAIN", "ENOTFOUND", "REQUEST_SEND_ERROR"]) {
      const error = toAciError(Object.assign(new Error(`connect ${code}`), { code }));
      expect(error, code).toMatchObject({ code, transient: true, message: `connect ${code}` });
    }
  });

  it("treats no usable credential as terminal (retrying cannot help) and a token endpoint that failed as transient", () => {
    const unavailable = Object.assign(new Error("ManagedIdentityCredential: no endpoint"), { name: "CredentialUnavailableError" });
    expect(toAciError(unavailable)).toMatchObject({ code: "CredentialUnavailable", transient: false });
    // DefaultAzureCredential on a laptop without `az login`: every credential of the chain unavailable.
    const chain = Object.assign(new Error("ChainedTokenCredential authentication failed.\nEnvironmentCredential is unavailable.\nAzureCliCredential: Azure CLI could not be found."), { name: "AggregateAuthenticationError" });
    expect(toAciError(chain)).toMatchObject({ code: "CredentialUnavailable", transient: false, message: expect.stringContaining("Azure CLI could not be found") });
    // A token request refused (managed identity not assigned, wrong AZURE_CLIENT_ID): refused again next time.
    const refused = Object.assign(new Error("ManagedIdentityCredential: identity not found"), { name: "AuthenticationError", statusCode: 400 });
    expect(toAciError(refused)).toMatchObject({ code: "CredentialUnavailable", transient: false, status: undefined });
    // ManagedIdentityCredential wraps an identity endpoint that is down in CredentialUnavailableError too;
    // msal-node's error, its cause, has the endpoint's status (or network_error when nothing answered).
    const serverError = Object.assign(new Error("x: Error(s): Not Available - Description: boom"), { name: "ServerError", errorCode: "x", status: 500 });
    const miDown = Object.assign(new Error("ManagedIdentityCredential: Authentication failed. Message x: boom", { cause: serverError }), { name: "CredentialUnavailableError" });
    const chainDown = Object.assign(new Error("ChainedTokenCredential authentication failed."), { name: "AggregateAuthenticationError", errors: [unavailable, miDown] });
    expect(toAciError(chainDown)).toMatchObject({ code: "AuthenticationError", transient: true });
    const unreachable = Object.assign(new Error("ManagedIdentityCredential: Network unreachable. Message: network_error"), { name: "CredentialUnavailableError" });
    expect(toAciError(unreachable)).toMatchObject({ transient: true });
    const refusedByEndpoint = Object.assign(new Error("ManagedIdentityCredential: Authentication failed.", { cause: { ...serverError, status: 400 } }), { name: "CredentialUnavailableError" });
    expect(toAciError(refusedByEndpoint)).toMatchObject({ code: "CredentialUnavailable", transient: false });
    const endpointDown = Object.assign(new Error("token request failed"), { name: "AuthenticationError", statusCode: 503 });
    expect(toAciError(endpointDown)).toMatchObject({ code: "AuthenticationError", transient: true });
    const noStatus = Object.assign(new Error("token request failed"), { name: "AuthenticationError" });
    expect(toAciError(noStatus)).toMatchObject({ code: "AuthenticationError", transient: true });
  });

  it("treats an unrecognised failure as transient, so the activity throws and the retry policy bounds it", () => {
    // Ours on purpose: only failures known to be the request's fault become a terminal `rejected` result.
    expect(toAciError(new Error("socket hang up"))).toMatchObject({ code: "UnexpectedError", message: "socket hang up", transient: true });
    expect(toAciError("plain text")).toMatchObject({ code: "UnexpectedError", message: "plain text", transient: true });
  });

  it("returns an AciError unchanged", () => {
    const original = new AciError("InaccessibleImage", "image", false, 400);
    expect(toAciError(original)).toBe(original);
  });
});
