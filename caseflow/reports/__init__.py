"""PDF reports: data builders here, HTML templates and gongwen.css in the top-level reports/ folder."""
