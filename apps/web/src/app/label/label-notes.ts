// What each FER+ label looks like, in a line, for the guidelines page (after the FER+ labelling guide's
// definitions: Barsoum et al., 2016, and the facial action units behind each emotion). Other taxonomies'
// labels have no note.
export const LABEL_NOTES: Record<string, string> = {
  neutral: "No clear expression: relaxed brows, eyes and mouth.",
  happiness: "Smile: lip corners pulled up, cheeks raised, often crinkled eyes.",
  surprise: "Brows raised high, eyes wide open, jaw dropped or mouth open.",
  sadness: "Inner brows raised, lip corners pulled down, eyes looking down.",
  anger: "Brows lowered and drawn together, glaring eyes, lips pressed or teeth bared.",
  disgust: "Nose wrinkled, upper lip raised.",
  fear: "Brows raised and drawn together, eyes wide, lips stretched back.",
  contempt: "One lip corner tightened or raised: a one-sided, sneering expression.",
  unknown: "A face whose expression you cannot tell with any confidence.",
  "not-a-face": "No human face, or too little of one to judge.",
};
