// Generated with quicktype by spec/scripts/generate.js from the OCI schemas (Apache-2.0): image-spec-v1.1.1/image-manifest-schema.json, image-spec-v1.1.1/image-index-schema.json, image-spec-v1.1.1/config-schema.json, image-spec-v1.1.1/image-layout-schema.json, image-spec-v1.1.1/content-descriptor.json. Do not edit: run `npm run generate -w @berth/spec`.

/**
 * OpenContainer Image Manifest Specification
 */
export interface ImageManifest {
    annotations?: { [key: string]: unknown };
    /**
     * the artifact mediatype of the referenced object
     */
    artifactType?: string;
    config:        Descriptor;
    layers:        [Descriptor, ...Descriptor[]];
    /**
     * the mediatype of the referenced object
     */
    mediaType?: string;
    /**
     * This field specifies the image manifest schema version as an integer
     */
    schemaVersion: number;
    subject?:      Descriptor;
    [property: string]: unknown;
}

/**
 * OpenContainer Content Descriptor Specification
 */
export interface Descriptor {
    annotations?: { [key: string]: unknown };
    /**
     * the IANA media type of this artifact
     */
    artifactType?: string;
    /**
     * an embedding of the targeted content (base64 encoded)
     */
    data?: string;
    /**
     * the cryptographic checksum digest of the object, in the pattern '<algorithm>:<encoded>'
     */
    digest: string;
    /**
     * the mediatype of the referenced object
     */
    mediaType: string;
    /**
     * the size in bytes of the referenced object
     */
    size: number;
    /**
     * a list of urls from which this object may be downloaded
     */
    urls?: string[];
    [property: string]: unknown;
}

/**
 * OpenContainer Image Index Specification
 */
export interface ImageIndex {
    annotations?: { [key: string]: unknown };
    /**
     * the artifact mediatype of the referenced object
     */
    artifactType?: string;
    manifests:     Manifest[];
    /**
     * the mediatype of the referenced object
     */
    mediaType?: string;
    /**
     * This field specifies the image index schema version as an integer
     */
    schemaVersion: number;
    subject?:      Descriptor;
    [property: string]: unknown;
}

export interface Manifest {
    annotations?: { [key: string]: unknown };
    /**
     * the cryptographic checksum digest of the object, in the pattern '<algorithm>:<encoded>'
     */
    digest: string;
    /**
     * the mediatype of the referenced object
     */
    mediaType: string;
    platform?: Platform;
    /**
     * the size in bytes of the referenced object
     */
    size: number;
    /**
     * a list of urls from which this object may be downloaded
     */
    urls?: string[];
    [property: string]: unknown;
}

export interface Platform {
    architecture:   string;
    os:             string;
    "os.features"?: string[];
    "os.version"?:  string;
    variant?:       string;
    [property: string]: unknown;
}

/**
 * OpenContainer Config Specification
 */
export interface ImageConfig {
    architecture:   string;
    author?:        string;
    config?:        Config;
    created?:       string;
    history?:       History[];
    os:             string;
    "os.features"?: string[];
    "os.version"?:  string;
    rootfs:         Rootfs;
    variant?:       string;
    [property: string]: unknown;
}

export interface Config {
    ArgsEscaped?:  boolean;
    Cmd?:          string[] | null;
    Entrypoint?:   string[] | null;
    Env?:          string[];
    ExposedPorts?: { [key: string]: unknown };
    Labels?:       { [key: string]: unknown } | null;
    StopSignal?:   string;
    User?:         string;
    Volumes?:      { [key: string]: unknown } | null;
    WorkingDir?:   string;
    [property: string]: unknown;
}

export interface History {
    author?:      string;
    comment?:     string;
    created?:     string;
    created_by?:  string;
    empty_layer?: boolean;
    [property: string]: unknown;
}

export interface Rootfs {
    diff_ids: string[];
    type:     Type;
    [property: string]: unknown;
}

export type Type = "layers";

/**
 * OpenContainer Image Layout Schema
 */
export interface ImageLayout {
    /**
     * version of the OCI Image Layout (in the oci-layout file)
     */
    imageLayoutVersion: ImageLayoutVersion;
    [property: string]: unknown;
}

/**
 * version of the OCI Image Layout (in the oci-layout file)
 */
export type ImageLayoutVersion = "1.0.0";

