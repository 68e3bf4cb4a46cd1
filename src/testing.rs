//! Test-only readers for the properties every parser owes: the same answer
//! however the bytes are split into reads.

use std::io::{self, BufReader, Read};

use proptest::prelude::*;

/// Hands out `data` in reads of the given sizes (cycled; a 0 counts as 1),
/// as a socket, a pipe or a slow disk may.
pub struct Chunked {
    data: Vec<u8>,
    at: usize,
    /// Read sizes, cycled.
    sizes: Vec<usize>,
    next: usize,
}

impl Chunked {
    pub fn new(data: &[u8], sizes: &[usize]) -> Chunked {
        Chunked {
            data: data.to_vec(),
            at: 0,
            sizes: sizes.to_vec(),
            next: 0,
        }
    }
}

impl Read for Chunked {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // No sizes at all reads a byte at a time.
        let size = self.sizes.get(self.next % self.sizes.len().max(1));
        let size = size.copied().unwrap_or(1).max(1);
        self.next += 1;
        let end = self.data.len().min(self.at + size.min(buf.len()));
        let n = end - self.at;
        buf[..n].copy_from_slice(&self.data[self.at..end]);
        self.at = end;
        Ok(n)
    }
}

/// Read sizes and a buffer capacity, small enough to split lines anywhere.
pub fn splits() -> impl Strategy<Value = (Vec<usize>, usize)> {
    (proptest::collection::vec(1usize..64, 1..16), 1usize..128)
}

/// `data` behind a buffer of `capacity`, read `sizes` bytes at a time.
pub fn chunked_buf(data: &[u8], (sizes, capacity): &(Vec<usize>, usize)) -> BufReader<Chunked> {
    BufReader::with_capacity(*capacity, Chunked::new(data, sizes))
}
