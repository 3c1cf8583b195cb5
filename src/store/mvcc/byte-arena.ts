/**
 * ByteArena holds the bytes the store keeps for a long time — keys and values of stored
 * versions — in slabs of its own. Why: a small Buffer copy (Buffer.allocUnsafe, Buffer.from) is
 * cut from Node's shared 8 KiB pool, which every short-lived buffer of the process also uses; one
 * kept value then pins a whole pool slab full of garbage. Measured at 100k stored 256-byte puts:
 * 7,900 pool slabs, 62 MiB of ArrayBuffer memory for 29 MiB of keys and values — and external
 * memory is what drives V8's memory-pressure mark-compacts. Slabs that hold only kept bytes stay
 * dense; a slab is freed when no version in it is referenced (after compactions).
 */

/** Bytes per slab; larger copies get their own allocation. */
const SLAB_BYTES = 64 * 1024;
const MAX_ARENA_COPY = 4 * 1024;
const EMPTY = Buffer.alloc(0);

export class ByteArena {
  private slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
  private at = 0;

  /** copy returns a copy of src that shares no memory with src (or with anything but other
   *  kept bytes). The copy must never be written to. */
  copy(src: Buffer): Buffer {
    const n = src.length;
    if (n === 0) return EMPTY;
    if (n > MAX_ARENA_COPY) {
      const own = Buffer.allocUnsafeSlow(n);
      src.copy(own, 0);
      return own;
    }
    if (this.at + n > SLAB_BYTES) {
      this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      this.at = 0;
    }
    src.copy(this.slab, this.at);
    const out = this.slab.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
}
