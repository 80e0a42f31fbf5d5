/** Types of area-order.js for the architecture test. */
export declare const AREA_LEVELS: Record<string, number>;
export declare function areaOf(srcRelative: string): string | null;
export declare function isPure(srcRelative: string): boolean;
export declare function checkImport(fromRel: string, toRel: string): string | null;
declare const plugin: { rules: Record<string, unknown> };
export default plugin;
