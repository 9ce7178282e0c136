// request_user_input in VS Code: each of the model's questions as a quick pick (its options, plus
// "Other…" typed in an input box when the question allows the user's own words). Dismissing a
// question answers nothing, and the model is told the request was cancelled.
import type { RequestUserInputParams, RequestUserInputResult, UserInputAnswer } from "../shared/generated";

/** The editor's pickers, injected so the flow is tested without VS Code. */
export interface QuestionUi {
  pick(items: { label: string; description: string }[], title: string): Promise<string | undefined>;
  type(prompt: string): Promise<string | undefined>;
}

export const OTHER = "Other…";

export async function askQuestions(params: RequestUserInputParams, ui: QuestionUi): Promise<RequestUserInputResult> {
  const answers: Record<string, UserInputAnswer> = {};
  for (const q of params.questions) {
    const items = (q.options ?? []).map((o) => ({ label: o.label, description: o.description ?? "" }));
    if (q.isOther !== false) items.push({ label: OTHER, description: "answer in your own words" });
    const title = q.header ? `${q.header}: ${q.question}` : q.question;
    const picked = await ui.pick(items, title);
    const text = picked === OTHER ? await ui.type(title) : picked;
    if (!text) return { answers: {} };
    answers[q.id] = { answers: [text] };
  }
  return { answers };
}
