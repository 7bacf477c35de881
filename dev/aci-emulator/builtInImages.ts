/**
 * @module
 * Images the emulator knows without being told: `hello-world` prints Docker's real greeting, and the
 * shell images run their `sh -c` command through {@link interpretShellCommand}.
 */
import type { ContainerRunScript } from "./containerBehaviour";
import { interpretShellCommand } from "./interpretShellCommand";
import { parseImageReference } from "./parseImageReference";

/** Docker's hello-world output (current `hello.c` of docker-library/hello-world on amd64), one entry per line. */
export const HELLO_WORLD_LINES: readonly string[] = [
  "",
  "Hello from Docker!",
  "This message shows that your installation appears to be working correctly.",
  "",
  "To generate this message, Docker took the following steps:",
  " 1. The Docker client contacted the Docker daemon.",
  ' 2. The Docker daemon pulled the "hello-world" image from the Docker Hub.',
  "    (amd64)",
  " 3. The Docker daemon created a new container from that image which runs the",
  "    executable that produces the output you are currently reading.",
  " 4. The Docker daemon streamed that output to the Docker client, which sent it",
  "    to your terminal.",
  "",
  "To try something more ambitious, you can run an Ubuntu container with:",
  " $ docker run -it ubuntu bash",
  "",
  "Share images, automate workflows, and more with a free Docker ID:",
  " https://hub.docker.com/",
  "",
  "For more examples and ideas, visit:",
  " https://docs.docker.com/get-started/",
  "",
];

const HELLO_WORLD_RUN_MS = 1000;
const SHELL_IMAGES = new Set(["busybox", "alpine", "ubuntu"]);

/** The images the emulator runs without a behaviour, as Docker Hub names them (any tag for the shells). */
export const BUILT_IN_IMAGES: readonly string[] = ["hello-world", ...SHELL_IMAGES];

/** The script of a built-in image, or `undefined` when the image is not built in. */
export function builtInScript(image: string, command: readonly string[]): ContainerRunScript | undefined {
  const reference = parseImageReference(image);
  if (reference.registry !== "index.docker.io") return undefined;
  if (reference.repository === "hello-world" && reference.suffix === ":latest") {
    return { runMs: HELLO_WORLD_RUN_MS, exitCode: 0, lines: HELLO_WORLD_LINES.map((line) => ({ at: 0, line })) };
  }
  if (SHELL_IMAGES.has(reference.repository)) return interpretShellCommand(command);
  return undefined;
}
