"""Study mode: exam-style items built from the notes, their grading, spaced repetition, mock exams and Anki export."""
