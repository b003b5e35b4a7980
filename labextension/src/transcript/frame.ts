// Coalescing redraws: however many patches arrive, the DOM is updated at most once per
// animation frame (a streamed answer can arrive faster than the screen refreshes).

export type FrameRequest = (callback: () => void) => void;

function nextFrame(callback: () => void): void {
  if (typeof requestAnimationFrame === 'function') {
    requestAnimationFrame(() => callback());
  } else {
    setTimeout(callback, 16);
  }
}

export class FrameScheduler {
  constructor(
    private readonly draw: () => void,
    private readonly frame: FrameRequest = nextFrame
  ) {}

  /** Draw on the next frame (once, however often this is called before it). */
  request(): void {
    if (this._pending || this._disposed) {
      return;
    }
    this._pending = true;
    this.frame(() => {
      if (this._pending && !this._disposed) {
        this._pending = false;
        this.draw();
      }
    });
  }

  /** Draw now (a pending frame then does nothing). */
  flush(): void {
    this._pending = false;
    if (!this._disposed) {
      this.draw();
    }
  }

  dispose(): void {
    this._disposed = true;
  }

  private _pending = false;
  private _disposed = false;
}
