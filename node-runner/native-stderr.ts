// Dawn (the native WebGPU of the `webgpu` package) writes its own messages straight to file
// descriptor 2 while it starts adapters, for example
//   Warning: Vulkan shaderUniform*ArrayDynamicIndexing required.
//    - While initializing adapter (backend=BackendType::Vulkan)
//       at InitializeImpl (/home/runner/work/…/PhysicalDeviceVk.cpp:257)
//   Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 90 to 16 …
// They say nothing a gemstone user can act on, so the launcher (bin/gemstone.js) holds them back
// and `gemstone doctor` lists them. This module tells them apart from everything else written there.

/** A line that starts one of Dawn's messages ("Warning: …"; Node's own warnings start "(node:PID)"). */
const DAWN_START = /^Warning: /;
/** A line that continues the message above it: its context, its source location, or the blank line after it. */
const DAWN_CONTINUATION = /^( - While |\s+at \S+ \(.*\)$|\s*$)/;

/**
 * Splits native stderr, chunk by chunk, into Dawn's messages (whole lines) and the rest (passed on
 * as soon as a line is complete, so a crash's message is never held back).
 */
export class NativeStderrFilter {
  private partial = '';
  private inDawn = false;

  constructor(
    private readonly onDawn: (line: string) => void,
    private readonly onOther: (text: string) => void,
  ) {}

  push(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  /** At the end of the stream: a last line without its newline. */
  end(): void {
    if (this.partial !== '') {
      const rest = this.partial;
      this.partial = '';
      if (this.isDawn(rest)) this.onDawn(rest);
      else this.onOther(rest);
    }
  }

  private isDawn(line: string): boolean {
    this.inDawn = DAWN_START.test(line) || (this.inDawn && DAWN_CONTINUATION.test(line));
    return this.inDawn;
  }

  private line(line: string): void {
    if (this.isDawn(line)) this.onDawn(line);
    else this.onOther(`${line}\n`);
  }
}

/** Dawn's lines grouped into one message each: "Warning: … — While …" (the source location dropped). */
export function dawnMessages(lines: readonly string[]): string[] {
  const messages: string[] = [];
  for (const line of lines) {
    if (DAWN_START.test(line)) messages.push(line.trim());
    else if (/^ - While /.test(line) && messages.length > 0)
      messages[messages.length - 1] += ` — ${line.replace(/^ - /, '').trim()}`;
  }
  return messages;
}

/** All of Dawn's messages in a text (what a child process wrote to its stderr). */
export function dawnMessagesIn(text: string): string[] {
  const lines: string[] = [];
  const filter = new NativeStderrFilter(
    (line) => lines.push(line),
    () => {},
  );
  filter.push(text);
  filter.end();
  return dawnMessages(lines);
}
