import { countTwins, findTrainTwins, hashFaces, type TFaceHash } from "@concord/importer/twins";
import type { TImageSet } from "../types";

/**
 * `set` with each face's twin in the train split (hashes of every train face, trained on or not: the faces
 * the importer's leak guard pairs, so a split's twin-free part is the same for every run on the same data).
 */
export function withTrainTwins(set: TImageSet, train: readonly TFaceHash[]): TImageSet {
  return { ...set, trainTwins: findTrainTwins(train, hashFaces(set.pixels)) };
}

/** "279 have an exact twin in FER2013Train, 539 an exact or near one". */
export function describeTwins(set: TImageSet, trainName: string): string {
  const c = countTwins(set.trainTwins ?? []);
  return `${c.exact} have an exact twin in ${trainName}, ${c.exactOrNear} an exact or near one`;
}
