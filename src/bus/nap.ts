/** A pause between polls that a nudge (new work committed here) or a stop cuts short. */
export class Nap {
  private wakeUp: (() => void) | undefined;

  /** Resolves after `ms`, or at once when woken. */
  for(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  wake(): void {
    this.wakeUp?.();
  }
}
