// The pod around the containers. For now: the app's volumes (see volumes.ts).
import { VolumeArgs } from "./volumes";

/** The pod template (or the bare Pod). */
export interface PodArgs {
    /** Volumes for the app (`app.volumeMounts`): emptyDir, configMap, secret, persistentVolumeClaim. */
    volumes?: VolumeArgs[];
}
