/** Types inferred from the wire schemas, for modules that only need the shapes. */
import type { z } from 'zod';
import type { blobEntrySchema, tensorRefSchema, wireFileSchema } from './protocol.js';

/** A reference to a tensor sent in binary frames. */
export type TensorRef = z.infer<typeof tensorRefSchema>;
/** A file for the bridge to write. */
export type WireFile = z.infer<typeof wireFileSchema>;
/** One tensor's place in a `tensors` blob. */
export type BlobEntry = z.infer<typeof blobEntrySchema>;
