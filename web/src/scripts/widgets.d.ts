/**
 * The frontend's legacy module `/scripts/widgets.js`, reduced to the one constructor this extension uses
 * (see app.d.ts for how the path resolves). The types package declares the constructors' result as a plain
 * widget; a multiline STRING is a DOM widget around a textarea (frontend `useStringWidget`), as its core
 * "Preview Any" node relies on, so that is the type stated here.
 */
import type { ComfyApp, ComfyExtension, DOMWidget } from '@comfyorg/comfyui-frontend-types';

/** A graph node instance, as the frontend hands it to extensions. */
export type GraphNode = Parameters<NonNullable<ComfyExtension['nodeCreated']>>[0];

/** The V1 input spec of a multiline text widget. */
export type MultilineStringSpec = readonly ['STRING', { readonly multiline: true }];

/** The widget constructors by input type. */
export declare const ComfyWidgets: {
  /** Adds a text widget named `inputName` to `node`; multiline gives a textarea DOM widget. */
  STRING(node: GraphNode, inputName: string, inputData: MultilineStringSpec, app: ComfyApp): {
    widget: DOMWidget<HTMLTextAreaElement, string>;
  };
};
