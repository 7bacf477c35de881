/** Docker Hub's registry host, as ACI names it in `RegistryErrorResponse` messages (aci-rest-api.md §8). */
const DOCKER_HUB_HOST = "index.docker.io";

export interface ImageReference {
  /** Registry host: the first path component when it looks like a host, else Docker Hub. */
  readonly registry: string;
  /** Repository without registry; Docker Hub's `library/` prefix removed (`alpine`, `myorg/job`). */
  readonly repository: string;
  /** Tag or digest suffix including its separator (`:3.20`, `@sha256:...`); `:latest` when absent. */
  readonly suffix: string;
  /** The image as given, with `:latest` appended when it has neither tag nor digest: the behaviour registry's key. */
  readonly key: string;
}

export function parseImageReference(image: string): ImageReference {
  const trimmed = image.trim();
  const nameEnd = trimmed.lastIndexOf("/") + 1;
  const lastPart = trimmed.slice(nameEnd);
  const suffixStart = lastPart.includes("@") ? lastPart.indexOf("@") : lastPart.lastIndexOf(":");
  const hasSuffix = suffixStart >= 0;
  const name = hasSuffix ? trimmed.slice(0, nameEnd + suffixStart) : trimmed;
  const suffix = hasSuffix ? lastPart.slice(suffixStart) : ":latest";

  const [first, ...rest] = name.split("/");
  const firstIsHost = rest.length > 0 && first !== undefined && (first.includes(".") || first.includes(":") || first === "localhost");
  const registry = firstIsHost ? first : DOCKER_HUB_HOST;
  let repository = firstIsHost ? rest.join("/") : name;
  const isDockerHub = registry === DOCKER_HUB_HOST || registry === "docker.io" || registry === "registry-1.docker.io";
  if (isDockerHub && repository.startsWith("library/")) repository = repository.slice("library/".length);

  return { registry: isDockerHub ? DOCKER_HUB_HOST : registry, repository, suffix, key: `${name}${suffix}` };
}
