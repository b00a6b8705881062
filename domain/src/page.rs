//! Pagination of list results.

/// Largest page a client may ask for.
pub const PAGE_SIZE_MAX: u32 = 100;
/// Page size when the client names none.
pub const PAGE_SIZE_DEFAULT: u32 = 20;

/// Why a page request was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    #[error("page must be 1 or more")]
    Page,
    #[error("page_size must be between 1 and {PAGE_SIZE_MAX}")]
    PageSize,
}

/// A valid page request: page from 1, page size from 1 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    page: u32,
    page_size: u32,
}

impl PageRequest {
    /// Validates a page request; `None` takes the defaults (page 1, 20 items).
    ///
    /// # Errors
    /// [`PageError`] naming the parameter out of range.
    pub fn new(page: Option<u32>, page_size: Option<u32>) -> Result<Self, PageError> {
        let page = page.unwrap_or(1);
        let page_size = page_size.unwrap_or(PAGE_SIZE_DEFAULT);
        if page == 0 {
            return Err(PageError::Page);
        }
        if page_size == 0 || page_size > PAGE_SIZE_MAX {
            return Err(PageError::PageSize);
        }
        Ok(Self { page, page_size })
    }

    /// Returns the page number, from 1.
    pub fn page(&self) -> u32 {
        self.page
    }

    /// Returns the number of items per page.
    pub fn page_size(&self) -> u32 {
        self.page_size
    }

    /// Returns the number of items before this page.
    pub fn offset(&self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.page_size)
    }
}

/// One page of results with the total count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub page_size: u32,
    pub total: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_first_page_of_twenty() {
        let request = PageRequest::new(None, None).unwrap();

        assert_eq!(request.page(), 1);
        assert_eq!(request.page_size(), 20);
        assert_eq!(request.offset(), 0);
    }

    #[test]
    fn page_size_over_max_is_rejected() {
        assert_eq!(
            PageRequest::new(Some(1), Some(1000)),
            Err(PageError::PageSize)
        );
    }

    #[test]
    fn page_zero_is_rejected() {
        assert_eq!(PageRequest::new(Some(0), None), Err(PageError::Page));
    }

    #[test]
    fn offset_counts_earlier_pages() {
        assert_eq!(PageRequest::new(Some(3), Some(10)).unwrap().offset(), 20);
    }
}
