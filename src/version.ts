/** The tool version, written into LoRA metadata and reports. Kept equal to package.json by a test. */
export const VERSION = '0.1.0';
