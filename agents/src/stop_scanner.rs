//! Streamed answer text cut at stop strings, shared by local generation
//! (language_model.rs) and answers streamed from a server (remote.rs), so
//! both trim and cut answers the same way.

/// Accumulates streamed text, holding back a tail that could still become a
/// stop string, and cuts the text at the first stop string.
pub(crate) struct StopScanner<'a> {
    stops: &'a [&'a str],
    pub(crate) text: String,
    emitted: usize,
    hold: usize,
}

impl<'a> StopScanner<'a> {
    pub(crate) fn new(stops: &'a [&'a str]) -> Self {
        let hold = stops
            .iter()
            .map(|s| s.len())
            .max()
            .unwrap_or(0)
            .saturating_sub(1);
        Self {
            stops,
            text: String::new(),
            emitted: 0,
            hold,
        }
    }

    /// Adds a piece; returns true when a stop string was found. Leading
    /// whitespace of the answer is dropped.
    pub(crate) fn push(&mut self, piece: &str, on_text: &mut dyn FnMut(&str)) -> bool {
        let piece = if self.text.is_empty() {
            piece.trim_start()
        } else {
            piece
        };
        self.text.push_str(piece);
        let search_from = self.emitted.saturating_sub(self.hold);
        let search_from = floor_char_boundary(&self.text, search_from);
        let found = self
            .stops
            .iter()
            .filter_map(|s| self.text[search_from..].find(s).map(|i| search_from + i))
            .min();
        if let Some(cut) = found {
            self.text.truncate(cut);
            self.emit_up_to(cut, on_text);
            return true;
        }
        let safe = floor_char_boundary(&self.text, self.text.len().saturating_sub(self.hold));
        self.emit_up_to(safe, on_text);
        false
    }

    fn emit_up_to(&mut self, end: usize, on_text: &mut dyn FnMut(&str)) {
        if end > self.emitted {
            on_text(&self.text[self.emitted..end]);
            self.emitted = end;
        }
    }

    /// Emits what was held back, when the text ended without a stop string.
    pub(crate) fn flush(&mut self, on_text: &mut dyn FnMut(&str)) {
        let end = self.text.len();
        self.emit_up_to(end, on_text);
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(pieces: &[&str], stops: &[&str]) -> (String, String, bool) {
        let mut streamed = String::new();
        let mut scanner = StopScanner::new(stops);
        let mut stopped = false;
        for p in pieces {
            if scanner.push(p, &mut |t| streamed.push_str(t)) {
                stopped = true;
                break;
            }
        }
        if !stopped {
            scanner.flush(&mut |t| streamed.push_str(t));
        }
        (scanner.text, streamed, stopped)
    }

    #[test]
    fn stop_string_split_across_pieces_is_cut_and_never_streamed() {
        let (text, streamed, stopped) =
            scan(&["Paris is", " nice\nQu", "estion: next"], &["\nQuestion:"]);
        assert!(stopped);
        assert_eq!(text, "Paris is nice");
        assert_eq!(streamed, "Paris is nice");
    }

    #[test]
    fn without_stop_everything_is_streamed() {
        let (text, streamed, stopped) = scan(&[" ", "\n héllo ", "wörld"], &["STOP"]);
        assert!(!stopped);
        assert_eq!(text, "héllo wörld");
        assert_eq!(streamed, text);
    }
}
